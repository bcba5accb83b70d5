// The phone simulator: the same requests Africa's Talking would make, sent to our own
// /ussd and /sms/incoming, and the phone's SMS read from the simulator's inbox.
(function () {
  const phoneBox = document.querySelector(".phone");
  const key = phoneBox.dataset.callbackKey;
  const smsNumber = phoneBox.dataset.smsNumber;
  const screen = document.getElementById("screen");
  const keypad = document.getElementById("keypad");
  const phone = () => document.getElementById("phone").value.trim();
  const withKey = (path) => (key ? path + "?key=" + encodeURIComponent(key) : path);
  let session = null; // {id, serviceCode, inputs}

  async function post(path, fields) {
    const response = await fetch(withKey(path), {
      method: "POST",
      headers: {"Content-Type": "application/x-www-form-urlencoded"},
      body: new URLSearchParams(fields),
    });
    return {status: response.status, text: await response.text()};
  }

  async function ussd() {
    const answer = await post("/ussd", {
      sessionId: session.id, serviceCode: session.serviceCode, phoneNumber: phone(),
      text: session.inputs.join("*"), networkCode: "51010",
    });
    if (answer.status !== 200) {
      screen.textContent = "Gagal (" + answer.status + "): " + answer.text;
      session = null;
    } else if (answer.text.startsWith("END ")) {
      screen.textContent = answer.text.slice(4);
      session = null;
      keypad.value = "*123#";
    } else {
      screen.textContent = answer.text.replace(/^CON /, "");
      keypad.value = "";
    }
    keypad.focus();
    refreshInbox();
  }

  document.getElementById("ussd-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = keypad.value.trim();
    if (session === null) {
      // "*123*1001#": the code is *123#, the digits after it arrive pre-filled.
      const match = typed.match(/^\*(\d+)((?:\*[^*#]*)*)#$/);
      if (!match) { screen.textContent = "Ketik kode seperti *123#"; return; }
      const prefilled = match[2] ? match[2].slice(1).split("*") : [];
      session = {
        id: "SIM" + Date.now() + Math.floor(Math.random() * 1e6),
        serviceCode: "*" + match[1] + "#",
        inputs: prefilled,
      };
    } else {
      session.inputs.push(typed);
    }
    ussd();
  });

  document.getElementById("hangup").addEventListener("click", () => {
    session = null;
    screen.textContent = "Panggilan ditutup.";
    keypad.value = "*123#";
  });

  document.getElementById("sms-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = document.getElementById("sms-text");
    const answer = await post("/sms/incoming", {
      from: phone(), to: smsNumber, text: box.value, date: new Date().toISOString(),
      id: "SIM" + Date.now() + Math.floor(Math.random() * 1e6), linkId: "", networkCode: "51010",
    });
    if (answer.status === 200) { box.value = ""; }
    setTimeout(refreshInbox, 300);
  });

  async function refreshInbox() {
    const response = await fetch("/simulator/inbox?phone=" + encodeURIComponent(phone()));
    const list = document.getElementById("inbox");
    if (!response.ok) { list.innerHTML = ""; return; }
    const data = await response.json();
    list.replaceChildren(...data.messages.map((message) => {
      const item = document.createElement("li");
      item.textContent = message.body + " ";
      const meta = document.createElement("small");
      meta.textContent = "(" + message.kind + ", " + message.status + ")";
      item.appendChild(meta);
      return item;
    }));
  }

  refreshInbox();
  setInterval(refreshInbox, 3000);
})();
